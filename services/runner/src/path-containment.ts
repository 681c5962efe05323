// Path containment for everything the runner touches on disk: shared with the API (which writes
// uploads into local destinations) through @devpilot/storage.
export { isInside, realpathOrNull } from '@devpilot/storage'
