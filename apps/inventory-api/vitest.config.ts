import { serviceTestConfig } from '../../vitest.shared.js'

export default serviceTestConfig
