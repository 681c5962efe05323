export * from './path-containment.js'
export * from './s3-client.js'
