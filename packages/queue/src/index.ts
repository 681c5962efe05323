export * from './boss.js'
