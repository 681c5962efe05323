export * from './boss.js'
export * from './depth.js'
export * from './live-jobs.js'
