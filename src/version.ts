// Package metadata, read once from package.json (same relative path from src/ and dist/).
import { readFileSync } from 'node:fs';

interface PackageJson {
  name: string;
  version: string;
}

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as PackageJson;

export const PACKAGE_NAME: string = pkg.name;
export const VERSION: string = pkg.version;
