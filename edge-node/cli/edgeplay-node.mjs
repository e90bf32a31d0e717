#!/usr/bin/env node
// The installed command (package.json "bin"): tsx's loader runs the TypeScript sources as they are.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
