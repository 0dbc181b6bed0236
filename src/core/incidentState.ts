import type {
  Assessment, Audience, EventDataOf, MitigationAction, MitigationResult, NoteSource, NoteTag, RetagTag, Role, SequencedEvent, Severity, Status, User,
  WorkstreamKind, WorkstreamState,
} from '../protocol/events';

/** One holder's time in a role. */
export interface RoleTenure {
  readonly user: User;
  readonly assumedAt: string;
  readonly assumedSeq: number;
  readonly assignedBy: User;
  /** Brief given when this holder took over (a handoff note). */
  readonly brief?: string;
  readonly renouncedAt?: string;
  readonly renouncedSeq?: number;
}

export interface RoleState {
  readonly holder: User | null;
  readonly history: readonly RoleTenure[];
}

export interface Note {
  readonly id: string;
  readonly seq: number;
  readonly at: string;
  readonly actor: User;
  readonly text: string;
  /** The tag it was added with. */
  readonly originalTag: NoteTag;
  /** The current tag (after any retag). */
  readonly tag: RetagTag;
  readonly tagHistory: readonly { readonly tag: RetagTag; readonly at: string; readonly seq: number; readonly by: User }[];
  readonly source?: NoteSource;
}

export interface FlaggedDeploy {
  readonly ref: string;
  readonly sha: string;
  readonly subject?: string;
  readonly reason?: string;
  readonly at: string;
  readonly seq: number;
  readonly by: User;
}

export interface Mitigation {
  readonly id: string;
  readonly action: MitigationAction;
  readonly description: string;
  readonly target?: { readonly ref?: string; readonly sha?: string };
  readonly command?: string;
  readonly startedAt: string;
  readonly startedSeq: number;
  readonly startedBy: User;
  readonly state: 'open' | MitigationResult;
  readonly finishedAt?: string;
  readonly finishedBy?: User;
  readonly detail?: string;
  /** Every "did it help?" answer, oldest first (the latest is the mitigation's assessment; `too_early` is asked again). */
  readonly assessments: readonly MitigationAssessment[];
}

/** One responder's answer to "did it help?" for a mitigation, with the line of evidence they gave. */
export interface MitigationAssessment {
  readonly assessment: Assessment;
  readonly evidence?: string;
  readonly at: string;
  readonly seq: number;
  readonly by: User;
}

export interface StatusUpdate {
  readonly id: string;
  readonly seq: number;
  readonly at: string;
  readonly by: User;
  readonly audience: Audience;
  readonly text: string;
  readonly nextUpdateBy?: string;
  /** When the responders expected the impact to end, as of this update. */
  readonly eta?: string;
}

export interface ActionItem {
  readonly id: string;
  readonly seq: number;
  readonly title: string;
  readonly owner?: User;
  readonly due?: string;
  readonly done: boolean;
  readonly createdAt: string;
  readonly createdBy: User;
  readonly doneAt?: string;
  /** The follow-up on the forge: the prefilled new-issue page it was opened as, or the issue itself once linked. */
  readonly issueUrl?: string;
  /** The code it is about (Add Action Item from Selection): where it was anchored when added. */
  readonly source?: NoteSource;
}

/** One `workstream.updated` as it changed the workstream: who, when, and what it said. */
export interface WorkstreamChange {
  readonly at: string;
  readonly seq: number;
  readonly by: User;
  readonly owner?: User;
  readonly state?: WorkstreamState;
  readonly note?: string;
}

/** A workstream: one task with exactly one owner, open until marked done or dropped. */
export interface Workstream {
  readonly id: string;
  readonly title: string;
  readonly owner: User;
  readonly kind: WorkstreamKind;
  readonly state: WorkstreamState;
  readonly openedAt: string;
  readonly openedSeq: number;
  readonly openedBy: User;
  /** When it last changed (its opening, or its latest update). */
  readonly updatedAt: string;
  /** Every update after the opening, oldest first. */
  readonly history: readonly WorkstreamChange[];
}

/** A triage as a responder recorded it: who is affected, where, the trend and the three impacts. */
export type Triage = EventDataOf<'triage.recorded'>;

/** One `triage.recorded`: the whole triage, with who recorded it and when. Each replaces the one before it. */
export interface TriageRecord extends Triage {
  readonly seq: number;
  readonly at: string;
  readonly by: User;
}

export interface Change<T> {
  readonly value: T;
  readonly at: string;
  readonly seq: number;
  readonly by: User;
  readonly note?: string;
}

/**
 * Seqs the server declared lost (its store found them damaged): held, so never asked for again, and shown on the
 * timeline where they would have been. Not an event: nobody appended it, and it changes nothing else.
 */
export interface LostRange {
  readonly fromSeq: number;
  readonly toSeq: number;
  /** Why, as the server said it (`storage_damage`, or a reason a newer server knows). */
  readonly reason: string;
}

/** The incident as the left fold of its events. */
export interface IncidentState {
  readonly id: string;
  readonly headSeq: number;
  readonly title: string;
  readonly symptom: string;
  readonly scope?: string;
  readonly impact?: string;
  readonly detectedAt?: string;
  readonly impactStartedAt?: string;
  readonly declaredAt: string;
  readonly declaredBy: User;
  readonly severity: Severity;
  readonly severityHistory: readonly Change<Severity>[];
  readonly status: Status;
  readonly statusHistory: readonly Change<Status>[];
  readonly roles: Readonly<Record<Role, RoleState>>;
  readonly notes: readonly Note[];
  readonly flaggedDeploys: readonly FlaggedDeploy[];
  readonly mitigations: readonly Mitigation[];
  readonly updates: readonly StatusUpdate[];
  readonly actions: readonly ActionItem[];
  /** Workstreams in the order they were opened, done and dropped ones included. */
  readonly workstreams: readonly Workstream[];
  /** The latest triage (any responder can re-triage), or null before the first. */
  readonly triage: TriageRecord | null;
  /** Every triage recorded, oldest first (the last is `triage`): how the scope changed over time. */
  readonly triageHistory: readonly TriageRecord[];
  /** Every event, in seq order: the timeline. */
  readonly timeline: readonly SequencedEvent[];
  /** Seqs declared lost, in seq order; they sit on the timeline between the events around them. */
  readonly lost: readonly LostRange[];
}
