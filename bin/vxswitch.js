#!/usr/bin/env node
// Entry point: runs the compiled CLI.
import "../dist/src/cli/main.js";
