import { EmailMessage } from "cloudflare:email";
import { createMimeMessage } from "mimetext/browser";
import { configOf } from "../lib/config";
import { failedAttempt } from "./send";
import type { AttemptRecord, PendingDelivery } from "../engine/types";

/** Sends a `mailto:` callback's summary through the send_email binding (locally: an .eml file). */
export async function sendEmail(env: Pick<Env, "EMAIL" | "EMAIL_FROM">, d: PendingDelivery): Promise<AttemptRecord> {
  // Outside the attempt: an invalid EMAIL_FROM is the deployment's fault, logged by the consumer, not the receiver's.
  const { emailFrom } = configOf(env);
  const to = d.url.slice("mailto:".length);
  const { subject, text, html } = JSON.parse(d.body) as { subject: string; text: string; html: string };
  const at = new Date();
  const started = Date.now();
  try {
    const mime = createMimeMessage();
    mime.setSender({ name: "Cascade", addr: emailFrom });
    mime.setRecipient(to);
    mime.setSubject(subject);
    mime.setHeader("Message-ID", `<${d.id}@cascade>`);
    mime.addMessage({ contentType: "text/plain", data: text });
    mime.addMessage({ contentType: "text/html", data: html });
    await env.EMAIL.send(new EmailMessage(emailFrom, to, mime.asRaw()));
    return {
      ok: true,
      at: at.toISOString(),
      status: null,
      latency_ms: Date.now() - started,
      response: "sent",
      error: null,
      retry_after_s: null,
    };
  } catch (err) {
    return failedAttempt(at, started, `email not sent: ${(err as Error)?.message ?? String(err)}`);
  }
}
