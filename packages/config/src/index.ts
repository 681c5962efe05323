export * from './admin.js'
export * from './api.js'
export * from './parse.js'
export * from './runner.js'
