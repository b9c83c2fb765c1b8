/** The irun error type and codes, as the AWS packs use them (one import path for every pack file). */
export { Codes, IrunError } from '../../engine/errors.js';
