export * from './api.js'
export * from './parse.js'
export * from './reference.js'
export * from './runner.js'
