import { UnknownPluginError, ValidationError } from './errors.js';

/** A plugin config: the seeds' config dicts, e.g. `{type: 'pgvector', connectionString, indexName}`. */
export interface PluginConfig {
  type: string;
  [option: string]: unknown;
}

export type PluginFactory<T, C extends PluginConfig = PluginConfig> = (config: C) => T | Promise<T>;

/**
 * Turns config objects into plugins through registered factories. One registry per kind of
 * plugin (vector backends, caches, quantum backends); `backendRegistry` is the default for vector
 * backends and already knows `memory`.
 */
export class PluginRegistry<T> {
  private readonly factories = new Map<string, PluginFactory<T, PluginConfig>>();

  constructor(readonly kind: string) {}

  /** Registers a factory for a type. Registering a type again is an error unless `replace` is set. */
  register<C extends PluginConfig>(
    type: string,
    factory: PluginFactory<T, C>,
    options: { replace?: boolean } = {},
  ): this {
    if (typeof type !== 'string' || !/^[a-z][a-z0-9-]{0,63}$/.test(type)) {
      throw new ValidationError([
        { field: 'type', message: `must be 1 to 64 lowercase letters, digits or '-', got ${JSON.stringify(type)}` },
      ]);
    }
    if (this.factories.has(type) && !options.replace) {
      throw new ValidationError([
        {
          field: 'type',
          message: `${this.kind} type '${type}' is already registered; pass {replace: true} to override`,
        },
      ]);
    }
    this.factories.set(type, factory as PluginFactory<T, PluginConfig>);
    return this;
  }

  unregister(type: string): boolean {
    return this.factories.delete(type);
  }

  has(type: string): boolean {
    return this.factories.has(type);
  }

  types(): string[] {
    return [...this.factories.keys()].sort();
  }

  /** Builds a plugin from its config; an unknown type is an error listing the known types. */
  async create(config: PluginConfig): Promise<T> {
    if (typeof config !== 'object' || config === null || typeof config.type !== 'string') {
      throw new ValidationError([{ field: 'type', message: `a ${this.kind} config needs a string 'type'` }]);
    }
    const factory = this.factories.get(config.type);
    if (!factory) throw new UnknownPluginError(this.kind, config.type, this.types());
    return factory(config);
  }
}
