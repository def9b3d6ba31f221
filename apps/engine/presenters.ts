import type { Attachment, Demand, DemandDetail, DemandEvent, DemandMessage } from '#demands';
import { formatTrackingCode } from '#demands';
import type { Teleservice, VersionSummary } from '#teleservices';
import type { CitizenStatusView } from '#workflow';

/** JSON shapes of the partner API (documented in openapi.ts). */
export function teleserviceJson(t: Teleservice) {
  return {
    id: t.id,
    slug: t.slug,
    kind: t.kind,
    title: t.title,
    summary: t.summary,
    description: t.description,
    theme: t.theme,
    anonymousAllowed: t.anonymousAllowed,
    routingRule: t.routingRule,
    opensAt: t.opensAt,
    closesAt: t.closesAt,
    archivedAt: t.archivedAt,
    updatedAt: t.updatedAt,
  };
}

export function versionJson(v: VersionSummary) {
  return { id: v.id, number: v.number, state: v.state, checksum: v.checksum, createdAt: v.createdAt, publishedAt: v.publishedAt };
}

export function demandJson(d: Demand, citizenStatus?: CitizenStatusView) {
  return {
    id: d.id,
    trackingCode: d.trackingCode,
    trackingCodeDisplay: formatTrackingCode(d.trackingCode),
    teleserviceId: d.teleserviceId,
    versionId: d.versionId,
    collectivityId: d.collectivityId,
    channel: d.channel,
    status: {
      id: d.status,
      enteredAt: d.statusEnteredAt,
      citizenLabel: citizenStatus?.label ?? null,
      citizenStatusId: citizenStatus?.statusId ?? null,
      colour: citizenStatus?.colour ?? null,
    },
    data: d.data,
    backofficeData: d.backofficeData,
    assignedFunction: d.assignedFunction,
    assignedAgent: d.assignedAgent,
    version: d.lockVersion,
    submittedAt: d.submittedAt,
    updatedAt: d.updatedAt,
    closedAt: d.closedAt,
  };
}

export function eventJson(e: DemandEvent) {
  return { id: e.id, at: e.at, kind: e.kind, visibility: e.visibility, actor: e.actor, statusFrom: e.statusFrom, statusTo: e.statusTo, payload: e.payload };
}

export function attachmentJson(a: Attachment) {
  return {
    id: a.id,
    fieldId: a.fieldId,
    messageId: a.messageId,
    fileName: a.fileName,
    mimeType: a.mimeType,
    sizeBytes: a.sizeBytes,
    sha256: a.sha256,
    createdAt: a.createdAt,
    href: `/api/v1/demands/${a.demandId}/attachments/${a.id}`,
  };
}

export function messageJson(m: DemandMessage, attachments: Attachment[]) {
  return {
    id: m.id,
    author: m.author,
    body: m.body,
    visibility: m.visibility,
    createdAt: m.createdAt,
    attachments: attachments.filter((a) => a.messageId === m.id).map(attachmentJson),
  };
}

export function demandDetailJson(detail: DemandDetail) {
  return {
    ...demandJson(detail.demand, detail.citizenStatus),
    history: detail.history.map(eventJson),
    attachments: detail.attachments.map(attachmentJson),
  };
}
