export * from './enums.js'
export * from './error-codes.js'
export * from './jobs.js'
export * from './restore-state.js'
