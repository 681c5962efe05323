export * from './boss.js'
export * from './depth.js'
