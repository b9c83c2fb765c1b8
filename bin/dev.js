#!/usr/bin/env -S node --import tsx
// Development entry: runs the TypeScript sources through tsx, no build needed.
import { execute } from '@oclif/core';

// The AWS SDK warns on Node 20 about its releases of 2027; irun pins its SDK, and the warning
// would land in the middle of an incident's console output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

await execute({ development: true, dir: import.meta.url });
