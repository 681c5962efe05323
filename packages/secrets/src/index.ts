export * from './cipher.js'
export * from './tokens.js'
