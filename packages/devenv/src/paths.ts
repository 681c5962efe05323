// Where the local run and the tests keep their state: everything under <project>/.data (git-ignored).
import { fileURLToPath } from 'node:url'

export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '')
export const DATA_DIR = `${PROJECT_ROOT}/.data`
