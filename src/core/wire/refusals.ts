// What each refusal reason means to whom: the line a member sees, the line an operator sees, and what a classic client is answered.

import { NAME_RULE, PROTOCOL_VERSION, type RefusalReason } from "./protocol.ts";

/**
 * To a member (`chat join`, the web page), whose name it was: one line per reason (protocol.ts documents when the
 * server gives each). The operator's and the classic client's lines are tables of their own, so that a client
 * showing member lines only (the web page's bundle) carries none of them.
 */
export const REFUSAL_LINES: Record<RefusalReason, (name: string) => string> = {
  // The wire says only the reason (no new field): the line covers a name that looks like a member's too.
  name_taken: (name) => `the name "${name}" is taken, or looks like the name of someone in the room: choose another`,
  bad_name: (name) => `the server refused the name "${name}": use ${NAME_RULE}`,
  unknown_session: () => "the server no longer knows this session",
  bad_token: () => "refused: wrong admin token",
  stale: () => "refused: stale request",
  replayed: () => "refused: repeated request",
  wrong_server: () => "refused: request meant for another server",
  no_such_member: () => "nobody in the room has that name",
  too_long: () => "message not sent: too long",
  rate_limited: () => "message not sent: you are sending faster than the room allows; wait a moment",
  room_full: () => "the room is full: try again later",
  too_many_logins: () => "too many logins from this address lately: wait a minute and try again",
  banned: () => "you are banned from this room",
  kicked: () => "you were removed from the room by the administrator",
  passphrase_required: () => "this room has a passphrase: join with --passphrase or CHAT_PASSPHRASE",
  bad_passphrase: () => "wrong passphrase: the server could not read what this member sent",
  bad_room: () => `the server refused the room name: use ${NAME_RULE}`,
  no_such_room: () => "the server has no such room",
  too_many_rooms: () => "the server has as many rooms as it allows: join an existing room, or try later",
  too_many_new_rooms: () => "too many new rooms from this address lately: join an existing room, or wait a minute and try again",
  version: () =>
    `the server speaks another version of the chat protocol (this chat speaks ${PROTOCOL_VERSION}): use the same release of chat on both sides`,
};

/** To an operator (`chat admin`), where the member's line would not say enough; without one, `refused: REASON`. */
const OPERATOR_LINES: Partial<Record<RefusalReason, string>> = {
  bad_token: "refused: wrong admin token (give the server's with --token or CHAT_ADMIN_TOKEN)",
  stale: "refused: this machine's clock is more than 30 s away from the server's",
  replayed: "refused: the server saw this request before",
  wrong_server: "refused: the request was signed for another server (or for this one before it restarted): run chat admin again",
  too_long: "refused: the message is too long",
  passphrase_required: "refused: the room has a passphrase (give it with --passphrase or CHAT_PASSPHRASE)",
  bad_passphrase: "refused: wrong passphrase",
  no_such_room: "refused: the server has no such room",
  version: `refused: the server speaks another version of the chat protocol (this chat speaks ${PROTOCOL_VERSION}): use the same release of chat on both sides`,
};

/** To a classic client's refused login, as the original server said it (its one refusal was the taken name). */
const CLASSIC_LINES: Partial<Record<RefusalReason, string>> = {
  name_taken: "该用户已存在",
  bad_name: "用户名不合法：只能用 1 到 16 个字母、数字、_、. 或 -",
  room_full: "聊天室已满",
  too_many_logins: "登录太频繁，请稍后再试",
  banned: "你已被禁止进入聊天室",
  kicked: "你已被移出聊天室，请稍后再试",
};

/** A classic client's refused login for any other reason. */
const CLASSIC_OTHER = "无法进入聊天室";

export const memberRefusal = (reason: RefusalReason, name: string): string => REFUSAL_LINES[reason](name);
export const operatorRefusal = (reason: RefusalReason): string => OPERATOR_LINES[reason] ?? `refused: ${reason}`;
export const classicRefusal = (reason: RefusalReason): string => CLASSIC_LINES[reason] ?? CLASSIC_OTHER;
