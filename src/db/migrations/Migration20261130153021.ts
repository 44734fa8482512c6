import { Migration } from '@mikro-orm/migrations';

export class Migration20261130153021 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "used_oauth_states" ("nonce" uuid not null, "expires_at" timestamptz not null, "used_at" timestamptz not null default now(), constraint "used_oauth_states_pkey" primary key ("nonce"));`);
    this.addSql(`create index "used_oauth_states_expires_at_index" on "used_oauth_states" ("expires_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "used_oauth_states" cascade;`);
  }

}
