/**
 * A tiny Prometheus text-format (exposition format 0.0.4) registry: counters with labels, nothing else.
 * A client library would bring histograms and process metrics we do not use; the format is a few lines.
 */

type Labels = Record<string, string>

interface Counter {
  help: string
  values: Map<string, { labels: Labels; value: number }>
}

// Exposition format: label values escape backslash, double quote and newline.
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}="${escapeLabel(labels[name] ?? '')}"`)
    .join(',')
}

export class Metrics {
  readonly #counters = new Map<string, Counter>()

  /** Declares a counter so it is exposed (at 0 when it has no labels) before it is first incremented. */
  define(name: string, help: string): this {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name ${name}`)
    if (!this.#counters.has(name)) this.#counters.set(name, { help, values: new Map() })
    return this
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const counter = this.#counters.get(name)
    if (!counter) throw new Error(`metric ${name} is not defined`)
    const key = labelKey(labels)
    const entry = counter.values.get(key)
    if (entry) entry.value += by
    else counter.values.set(key, { labels, value: by })
  }

  /** The current value of one labelled series (0 when never incremented). */
  get(name: string, labels: Labels = {}): number {
    return this.#counters.get(name)?.values.get(labelKey(labels))?.value ?? 0
  }

  /** The sum over every series of a counter. */
  total(name: string): number {
    let sum = 0
    for (const { value } of this.#counters.get(name)?.values.values() ?? []) sum += value
    return sum
  }

  render(): string {
    const lines: string[] = []
    for (const [name, counter] of this.#counters) {
      lines.push(`# HELP ${name} ${counter.help}`, `# TYPE ${name} counter`)
      if (counter.values.size === 0) lines.push(`${name} 0`)
      for (const [key, { value }] of counter.values) lines.push(`${name}${key ? `{${key}}` : ''} ${value}`)
    }
    return `${lines.join('\n')}\n`
  }
}

/** The counters every resource server exposes; names are part of the contract (the demo reads them). */
export function resourceServerMetrics(): Metrics {
  return new Metrics()
    .define('http_requests_total', 'HTTP requests answered, by method, route and status code.')
    .define('token_verifications_total', 'Access-token verifications, by outcome and failure code.')
    .define('jwks_key_cache_hits_total', 'Verifications whose signing key was already cached.')
    .define('jwks_key_cache_misses_total', 'Verifications whose signing key was not cached (unknown kid).')
    .define('jwks_fetches_total', 'JWKS fetches from the authorization server, by reason and outcome.')
    .define('status_list_fetches_total', 'Status list fetches (Token Status List), by reason and outcome.')
}
