export * from './boss.js'
export * from './depth.js'
export * from './drill-schedule.js'
export * from './live-jobs.js'
