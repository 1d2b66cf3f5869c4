export { DpopClient, type DpopFetchInit } from './client.js'
export { DpopKey, type DpopProofInput } from './key.js'
