// `serve`'s configuration, from the same places as `run` and `eval`: the
// service's config file (--config or GS_CONFIG) for what serve shares with the
// processor (the Elasticsearch connection, the log level), then GS_API_* and
// the shared GS_* variables, then flags. One file configures both.
import { apiConfigFromEnv, parseApiConfig, type ApiConfig } from '../api/index.js'
import { isPlainObject, mergeConfig, parseConfig, readConfigFile } from '../config/index.js'
import { installDefaults } from './install.js'

export interface LoadApiConfigOptions {
  env?: Readonly<Record<string, string | undefined>>
  /** The service's JSON config file; GS_CONFIG in env names one too. */
  file?: string
  /** Applied last (command-line flags). */
  overrides?: Record<string, unknown>
}

/** The Elasticsearch settings serve reads from the service's file; the rest of that section is the sink's. */
const SHARED_ELASTICSEARCH = ['url', 'index', 'apiKey', 'caFile'] as const

export function loadApiConfig (options: LoadApiConfigOptions = {}): Readonly<ApiConfig> {
  const env = options.env ?? {}
  const fromFile = readConfigFile(options.file, env)
  // The file is the service's: checked whole, so a typo fails serve as it fails run.
  parseConfig(mergeConfig(installDefaults(), fromFile))
  const elasticsearch = isPlainObject(fromFile.elasticsearch) ? fromFile.elasticsearch : {}
  const shared = {
    elasticsearch: Object.fromEntries(SHARED_ELASTICSEARCH.filter((key) => elasticsearch[key] !== undefined).map((key) => [key, elasticsearch[key]])),
    ...(fromFile.log === undefined ? {} : { log: fromFile.log })
  }
  return parseApiConfig(mergeConfig(shared, apiConfigFromEnv(env), options.overrides))
}
