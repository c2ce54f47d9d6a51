// What each refusal reason means to whom: the line a member sees, the line an operator sees, and what a classic client is answered.

import { NAME_RULE, PROTOCOL_VERSION, type RefusalReason } from "./protocol.ts";

interface RefusalLines {
  /** To a member (`chat join`), whose name it was. */
  readonly member: (name: string) => string;
  /** To an operator (`chat admin`); without one, the reason itself is shown. */
  readonly operator?: string;
  /** To a classic client's refused login, as the original server said it (its one refusal was the taken name). */
  readonly classic?: string;
}

/** One row per reason (protocol.ts documents when the server gives each). */
export const REFUSAL_LINES: Record<RefusalReason, RefusalLines> = {
  // The wire says only the reason (no new field): the line covers a name that looks like a member's too.
  name_taken: {
    member: (name) => `the name "${name}" is taken, or looks like the name of someone in the room: choose another`,
    classic: "该用户已存在",
  },
  bad_name: {
    member: (name) => `the server refused the name "${name}": use ${NAME_RULE}`,
    classic: "用户名不合法：只能用 1 到 16 个字母、数字、_、. 或 -",
  },
  unknown_session: { member: () => "the server no longer knows this session" },
  bad_token: {
    member: () => "refused: wrong admin token",
    operator: "refused: wrong admin token (give the server's with --token or CHAT_ADMIN_TOKEN)",
  },
  stale: { member: () => "refused: stale request", operator: "refused: this machine's clock is more than 30 s away from the server's" },
  replayed: { member: () => "refused: repeated request", operator: "refused: the server saw this request before" },
  wrong_server: {
    member: () => "refused: request meant for another server",
    operator: "refused: the request was signed for another server (or for this one before it restarted): run chat admin again",
  },
  no_such_member: { member: () => "nobody in the room has that name" },
  too_long: { member: () => "message not sent: too long", operator: "refused: the message is too long" },
  rate_limited: { member: () => "message not sent: you are sending faster than the room allows; wait a moment" },
  room_full: { member: () => "the room is full: try again later", classic: "聊天室已满" },
  too_many_logins: {
    member: () => "too many logins from this address lately: wait a minute and try again",
    classic: "登录太频繁，请稍后再试",
  },
  banned: { member: () => "you are banned from this room", classic: "你已被禁止进入聊天室" },
  kicked: { member: () => "you were removed from the room by the administrator", classic: "你已被移出聊天室，请稍后再试" },
  passphrase_required: {
    member: () => "this room has a passphrase: join with --passphrase or CHAT_PASSPHRASE",
    operator: "refused: the room has a passphrase (give it with --passphrase or CHAT_PASSPHRASE)",
  },
  bad_passphrase: {
    member: () => "wrong passphrase: the server could not read what this member sent",
    operator: "refused: wrong passphrase",
  },
  bad_room: { member: () => `the server refused the room name: use ${NAME_RULE}` },
  no_such_room: { member: () => "the server has no such room", operator: "refused: the server has no such room" },
  too_many_rooms: { member: () => "the server has as many rooms as it allows: join an existing room, or try later" },
  too_many_new_rooms: {
    member: () => "too many new rooms from this address lately: join an existing room, or wait a minute and try again",
  },
  version: {
    member: () =>
      `the server speaks another version of the chat protocol (this chat speaks ${PROTOCOL_VERSION}): use the same release of chat on both sides`,
    operator: `refused: the server speaks another version of the chat protocol (this chat speaks ${PROTOCOL_VERSION}): use the same release of chat on both sides`,
  },
};

/** A classic client's refused login for any other reason. */
const CLASSIC_OTHER = "无法进入聊天室";

export const memberRefusal = (reason: RefusalReason, name: string): string => REFUSAL_LINES[reason].member(name);
export const operatorRefusal = (reason: RefusalReason): string => REFUSAL_LINES[reason].operator ?? `refused: ${reason}`;
export const classicRefusal = (reason: RefusalReason): string => REFUSAL_LINES[reason].classic ?? CLASSIC_OTHER;
