// Package metadata, read once from package.json (same relative path from src/ and dist/).
import { readFileSync } from 'node:fs';

interface PackageJson {
  name: string;
  version: string;
}

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as PackageJson;

/** The package name from package.json. */
export const PACKAGE_NAME: string = pkg.name;
/** The package version from package.json (recorded in every run.json). */
export const VERSION: string = pkg.version;
