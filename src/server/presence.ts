import type { PresentUser } from '../protocol/messages';

/** What presence needs of a session (a `ChannelSession`). */
export interface PresenceMember {
  readonly actor: { readonly id: string; readonly name: string };
  /** Only `write` sessions are responders: read-only and public sessions (stakeholders) are never listed. */
  readonly access: 'write' | 'read' | 'public';
  /** Asked for `presence` frames in its `hello`. */
  readonly wantsPresence: boolean;
  send(frame: string): void;
}

/** A join or a leave is told this soon (several windows opening at once are one frame). */
const CHANGE_DELAY_MS = 100;
/** Activity alone (someone wrote) is told at most this often: "idle for 12m" needs no finer grain. */
const ACTIVITY_DELAY_MS = 30_000;

/**
 * Who is on one channel (PROTOCOL.md "Presence"): the responders with a session on this server, by user id (one
 * entry however many windows), since when and when they last wrote. Sessions that asked for it in `hello` get a
 * `presence` frame after they join and whenever the list changes; a stakeholder (read-only or public session) is
 * neither listed nor told. Per server process: with replicas, each lists the sessions it holds.
 */
export class ChannelPresence {
  private readonly members = new Map<PresenceMember, { joinedAt: number; activeAt: number }>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;

  constructor(private readonly now: () => number) {}

  add(member: PresenceMember): void {
    const t = this.now();
    this.members.set(member, { joinedAt: t, activeAt: t });
    this.schedule(CHANGE_DELAY_MS);
  }

  remove(member: PresenceMember): void {
    if (!this.members.delete(member)) return;
    this.schedule(CHANGE_DELAY_MS);
  }

  /** The member wrote (declared or appended). */
  active(member: PresenceMember): void {
    const m = this.members.get(member);
    if (!m) return;
    m.activeAt = this.now();
    if (member.access === 'write') this.schedule(ACTIVITY_DELAY_MS);
  }

  /** The list as it is now, by user id, longest here first. */
  users(): PresentUser[] {
    const byId = new Map<string, { name: string; since: number; activeAt: number; sessions: number }>();
    for (const [member, m] of this.members) {
      if (member.access !== 'write') continue;
      const u = byId.get(member.actor.id);
      if (!u) byId.set(member.actor.id, { name: member.actor.name, since: m.joinedAt, activeAt: m.activeAt, sessions: 1 });
      else {
        u.since = Math.min(u.since, m.joinedAt);
        u.activeAt = Math.max(u.activeAt, m.activeAt);
        u.sessions++;
      }
    }
    return [...byId].sort((a, b) => a[1].since - b[1].since).map(([id, u]) => ({
      id, name: u.name, since: new Date(u.since).toISOString(), activeAt: new Date(u.activeAt).toISOString(), sessions: u.sessions,
    }));
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Tell everyone within `delayMs`, unless a telling is due sooner already. */
  private schedule(delayMs: number): void {
    const due = this.now() + delayMs;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      this.tell();
    }, delayMs);
    this.timer.unref?.();
  }

  private tell(): void {
    const frame = JSON.stringify({ type: 'presence', users: this.users() });
    for (const member of this.members.keys()) if (member.wantsPresence && member.access === 'write') member.send(frame);
  }
}
