// What the e2e walkthrough test drives: the launcher, the narrator and the walkthrough itself.
export { Launcher } from './launcher.js'
export { createNarrator, type StepRecord, summaryTable } from './narrator.js'
export { DEMO_PASSWORD, LOCAL_ADMIN_TOKEN, type ServiceName, serviceUrls } from './services.js'
export { runWalkthrough } from './walkthrough.js'
