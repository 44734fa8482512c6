import { Migration } from '@mikro-orm/migrations';

export class Migration20261130160909 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "outbox_status" as enum ('pending', 'delivered', 'dead', 'skipped');`);
    this.addSql(`create table "outbox" ("id" uuid not null default gen_random_uuid(), "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "seq" bigserial, "kind" varchar(60) not null, "stream_key" varchar(100) not null, "payload" jsonb not null, "dedupe_key" varchar(200) null, "status" "outbox_status" not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz not null default now(), "give_up_at" timestamptz not null, "last_attempt_at" timestamptz null, "last_error" varchar(100) null, "last_http_status" int null, "delivered_at" timestamptz null, constraint "outbox_pkey" primary key ("id"));`);
    this.addSql(`alter table "outbox" add constraint "outbox_dedupe_key_unique" unique ("dedupe_key");`);
    this.addSql(`create index "outbox_status_updated_at_index" on "outbox" ("status", "updated_at");`);
    this.addSql(`create index "outbox_pending_stream_idx" on "outbox" ("stream_key", "seq") where "status" = 'pending';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "outbox" cascade;`);

    this.addSql(`drop type "outbox_status";`);
  }

}
