export * from './logger.js'
export * from './queue-depth-metric.js'
