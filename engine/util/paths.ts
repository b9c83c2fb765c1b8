/** Where irun's own files are, from the sources (tests, tsx) or from dist/ (the installed CLI). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** True when running the compiled JavaScript in dist/. */
export const COMPILED = here.split(path.sep).includes('dist');
/** The package root (the folder with package.json). */
export const PACKAGE_ROOT = path.resolve(here, COMPILED ? '../../..' : '../..');
