import { createHash } from 'node:crypto';
import { IssueCollector, ValidationError } from '../shared/errors.js';
import type { JsonValue, StateStore } from '../stores/stores.js';
import { normalize } from '../vector/metrics.js';
import type { Metadata, VectorRecord } from '../vector/types.js';
import { METADATA_KEY_PATTERN } from '../vector/validation.js';
import { RESERVED_PREFIX } from './reserved.js';

/**
 * Entanglement over a StateStore: groups of records with a correlation s ∈ [0, 1], the partner
 * moves an update causes, and the correlation of two records.
 *
 * Documents (keys built by {@link StateKeys}):
 * - `qdb/<index>/group/<namespace>/<groupId>` → the {@link EntangledGroup};
 * - `qdb/<index>/member/<namespace>/<id>` → the sorted group ids the record is in.
 *
 * Writes are ordered so that a failure part-way leaves nothing a reader can trip on: a group's
 * member links are written before the group, and undone if a later step fails; a group is never
 * visible without its members' links.
 */
export interface EntangledGroup {
  groupId: string;
  ids: string[];
  /** s in [0, 1]: how strongly an update of one member moves the others. */
  correlation: number;
  /** Metadata keys copied from an updated member to its partners. */
  propagateKeys: string[];
  namespace: string;
  createdAt: string;
}

/** What links a record to one partner: the largest shared s, the union of keys, the shared groups. */
export interface PartnerLink {
  correlation: number;
  propagateKeys: string[];
  groups: string[];
}

export const GROUP_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
/** StateStore keys are at most this many characters (the StateStore contract). */
export const MAX_STATE_KEY_LENGTH = 512;
/** Marks a hashed key part; a literal part starting with it is always hashed, so the two never meet. */
const HASHED = '~';

export function checkGroupId(groupId: unknown, field = 'groupId'): string {
  if (typeof groupId !== 'string' || !GROUP_ID_PATTERN.test(groupId)) {
    throw new ValidationError([{ field, message: `must match ${GROUP_ID_PATTERN}`, limit: 128 }]);
  }
  return groupId;
}

/**
 * StateStore keys of one index. A part built from user input (a record id of up to 512
 * characters) is replaced by `~` + base64url(SHA-256(part)) when the whole key would exceed
 * {@link MAX_STATE_KEY_LENGTH} (or the part starts with `~`): deterministic, so every valid id has
 * exactly one key, and a prefix listing of a namespace still finds it.
 */
export class StateKeys {
  constructor(private readonly indexName: string) {}

  key(suffix: string): string {
    return `qdb/${this.indexName}/${suffix}`;
  }

  settings(): string {
    return this.key('settings');
  }

  groupPrefix(namespace?: string): string {
    return this.key(namespace === undefined ? 'group/' : `group/${namespace}/`);
  }

  memberPrefix(namespace: string): string {
    return this.key(`member/${namespace}/`);
  }

  group(namespace: string, groupId: string): string {
    return fitKey(this.groupPrefix(namespace), groupId);
  }

  member(namespace: string, id: string): string {
    return fitKey(this.memberPrefix(namespace), id);
  }
}

function fitKey(prefix: string, part: string): string {
  if (prefix.length + part.length <= MAX_STATE_KEY_LENGTH && !part.startsWith(HASHED)) return prefix + part;
  return `${prefix}${HASHED}${createHash('sha256').update(part, 'utf8').digest('base64url')}`;
}

/**
 * Validates `propagateKeys`: an array of metadata key names (the pattern metadata keys follow, so
 * no `__proto__`), none reserved. Returns them without duplicates.
 */
export function validatePropagateKeys(keys: unknown, field = 'propagateKeys'): string[] {
  if (keys === undefined) return [];
  const issues = new IssueCollector();
  if (!Array.isArray(keys)) {
    issues.add(field, 'must be an array of metadata key names');
  } else {
    keys.forEach((key: unknown, i) => {
      if (typeof key !== 'string' || !METADATA_KEY_PATTERN.test(key)) {
        issues.add(`${field}[${i}]`, `must be a metadata key matching ${METADATA_KEY_PATTERN}`, 64);
      } else if (key.startsWith(RESERVED_PREFIX)) {
        issues.add(`${field}[${i}]`, `keys starting with '${RESERVED_PREFIX}' are reserved`);
      }
    });
  }
  issues.throwIfAny('invalid entangled group');
  return [...new Set(keys as string[])];
}

/** Entangled groups of one index in a StateStore. */
export class Entanglement {
  constructor(
    private readonly store: StateStore,
    readonly keys: StateKeys,
  ) {}

  async getGroup(namespace: string, groupId: string): Promise<EntangledGroup | undefined> {
    return (await this.store.get<JsonValue>(this.keys.group(namespace, groupId))) as unknown as
      | EntangledGroup
      | undefined;
  }

  /**
   * Writes (or replaces) a group. Order: each new member's link first, then the group document,
   * then the links of former members that left. If a link or the group write fails, the links
   * added so far are removed again, so no member points at a group that does not hold it and no
   * group exists without its members' links.
   */
  async writeGroup(group: EntangledGroup): Promise<void> {
    const { namespace, groupId } = group;
    const previous = await this.getGroup(namespace, groupId);
    const added: string[] = [];
    try {
      for (const id of group.ids) {
        let had = false;
        await this.store.update<string[]>(this.keys.member(namespace, id), (current) => {
          had = (current ?? []).includes(groupId);
          return [...new Set([...(current ?? []), groupId])].sort();
        });
        if (!had) added.push(id);
      }
      await this.store.set(this.keys.group(namespace, groupId), group as unknown as JsonValue);
    } catch (error) {
      for (const id of added) await this.unlink(id, namespace, groupId).catch(() => undefined);
      throw error;
    }
    const kept = new Set(group.ids);
    for (const id of previous?.ids ?? []) if (!kept.has(id)) await this.unlink(id, namespace, groupId);
  }

  /** Removes a group: the document first (readers then skip it), then its members' links. */
  async deleteGroup(namespace: string, groupId: string): Promise<boolean> {
    const group = await this.getGroup(namespace, groupId);
    if (!group) return false;
    const deleted = await this.store.delete(this.keys.group(namespace, groupId));
    for (const id of group.ids) await this.unlink(id, namespace, groupId);
    return deleted;
  }

  /** Every group that holds `id`, merged per partner: the largest s, the union of keys. */
  async partnersOf(id: string, namespace: string): Promise<Map<string, PartnerLink>> {
    const groupIds = (await this.store.get<string[]>(this.keys.member(namespace, id))) ?? [];
    const partners = new Map<string, PartnerLink>();
    for (const groupId of groupIds) {
      const group = await this.getGroup(namespace, groupId);
      if (!group?.ids.includes(id)) continue;
      for (const member of group.ids) {
        if (member === id) continue;
        const link = partners.get(member) ?? { correlation: 0, propagateKeys: [], groups: [] };
        link.correlation = Math.max(link.correlation, group.correlation);
        link.propagateKeys = [...new Set([...link.propagateKeys, ...group.propagateKeys])];
        link.groups.push(groupId);
        partners.set(member, link);
      }
    }
    return partners;
  }

  /**
   * Partners that still exist: records removed by a filter delete or by decoherence leave their
   * groups' documents untouched (the backend cannot say which ids it removed), so lookups check.
   */
  async livePartners(
    id: string,
    namespace: string,
    exists: (ids: string[]) => Promise<Set<string>>,
  ): Promise<Map<string, PartnerLink>> {
    const partners = await this.partnersOf(id, namespace);
    if (partners.size === 0) return partners;
    const found = await exists([id, ...partners.keys()]);
    if (!found.has(id)) return new Map();
    for (const partnerId of [...partners.keys()]) if (!found.has(partnerId)) partners.delete(partnerId);
    return partners;
  }

  /** Takes a deleted record out of its groups; a group left with one member is dissolved. */
  async leaveGroups(id: string, namespace: string): Promise<void> {
    const groupIds = (await this.store.get<string[]>(this.keys.member(namespace, id))) ?? [];
    for (const groupId of groupIds) {
      let dissolved: string[] = [];
      await this.store.update<JsonValue>(this.keys.group(namespace, groupId), (current) => {
        dissolved = [];
        if (!current) return undefined;
        const group = current as unknown as EntangledGroup;
        const ids = group.ids.filter((member) => member !== id);
        if (ids.length >= 2) return { ...group, ids } as unknown as JsonValue;
        dissolved = ids;
        return undefined;
      });
      // A group left with one member is gone: its last member must not point at the id any more.
      for (const member of dissolved) await this.unlink(member, namespace, groupId);
    }
    await this.store.delete(this.keys.member(namespace, id));
  }

  /** Every group and member document of a namespace (after `delete({all: true})`). */
  async clearNamespace(namespace: string): Promise<void> {
    for (const prefix of [this.keys.groupPrefix(namespace), this.keys.memberPrefix(namespace)]) {
      const keys: string[] = [];
      for await (const key of this.store.keys({ prefix })) keys.push(key);
      for (const key of keys) await this.store.delete(key);
    }
  }

  async countGroups(): Promise<number> {
    let groups = 0;
    for await (const key of this.store.keys({ prefix: this.keys.groupPrefix() })) if (key) groups++;
    return groups;
  }

  private async unlink(id: string, namespace: string, groupId: string): Promise<void> {
    await this.store.update<string[]>(this.keys.member(namespace, id), (current) => {
      const rest = (current ?? []).filter((g) => g !== groupId);
      return rest.length > 0 ? rest : undefined;
    });
  }
}

/**
 * The partners an update moves. For each partner j with link s: v_j' = v_j + s·(v_i' − v_i)
 * (on unit vectors and normalised again under cosine, so rescaling v_i moves nothing), and the
 * link's `propagateKeys` present in the update's own metadata are copied to j. Partners missing or
 * expired, or with nothing to change, are left out.
 */
export function partnerMoves(params: {
  partners: ReadonlyMap<string, PartnerLink>;
  current: ReadonlyMap<string, VectorRecord>;
  oldVector: Float32Array;
  newVector: Float32Array | undefined;
  /** The update's user metadata (own keys only are read). */
  userMetadata: Metadata;
  cosine: boolean;
  isExpired: (metadata: Metadata | undefined) => boolean;
}): VectorRecord[] {
  const { newVector, userMetadata, cosine } = params;
  const unit = (v: Float32Array) => (cosine ? normalize(v) : v);
  const moved: VectorRecord[] = [];
  for (const [partnerId, link] of params.partners) {
    const partner = params.current.get(partnerId);
    if (!partner || params.isExpired(partner.metadata)) continue;
    const copied: Metadata = {};
    for (const key of link.propagateKeys) {
      if (Object.hasOwn(userMetadata, key) && userMetadata[key] !== undefined) copied[key] = userMetadata[key];
    }
    if (!newVector && Object.keys(copied).length === 0) continue;
    let vector = partner.vector;
    if (newVector) {
      const [vj, vNew, vOld] = [unit(partner.vector), unit(newVector), unit(params.oldVector)];
      const next = new Float64Array(vector.length);
      for (let d = 0; d < vector.length; d++) {
        next[d] = (vj[d] as number) + link.correlation * ((vNew[d] as number) - (vOld[d] as number));
      }
      vector = cosine ? normalize(next) : Float32Array.from(next);
    }
    moved.push({ id: partnerId, vector, metadata: { ...(partner.metadata ?? {}), ...copied } });
  }
  return moved;
}

/**
 * The correlation estimate s ≈ 2·P(agree) − 1 from the counts of `correlationCircuit(s)`, whose
 * two bits agree with probability (1+s)/2.
 */
export function correlationFromCounts(counts: Record<string, number>, shots: number): number {
  const agree = ((counts['00'] ?? 0) + (counts['11'] ?? 0)) / shots;
  return 2 * agree - 1;
}
