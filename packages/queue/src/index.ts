export * from './boss.js'
export * from './depth.js'
export * from './live-jobs.js'
export * from './webhook-queue.js'
