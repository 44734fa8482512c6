import { Migration } from '@mikro-orm/migrations';

export class Migration20261127091901 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "user_role" as enum ('influencer', 'salon', 'admin');`);
    this.addSql(`create type "platform" as enum ('instagram', 'tiktok');`);
    this.addSql(`create type "account_status" as enum ('active', 'reauth_required', 'expired', 'disconnected');`);
    this.addSql(`create type "refresh_outcome" as enum ('refreshed', 'skipped', 'reauth_required', 'failed', 'expired');`);
    this.addSql(`create table "users" ("id" uuid not null default gen_random_uuid(), "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "email" varchar(320) not null, "name" varchar(200) not null default '', "password_hash" varchar(255) not null, "role" "user_role" not null, "verified" boolean not null default false, "otp_hash" varchar(255) null, "otp_expires_at" timestamptz null, "otp_attempts" int not null default 0, constraint "users_pkey" primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);

    this.addSql(`create table "social_accounts" ("id" uuid not null default gen_random_uuid(), "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "owner_id" uuid not null, "platform" "platform" not null, "external_id" text not null, "username" varchar(200) not null default '', "display_name" varchar(300) null, "access_token_enc" text null, "access_expires_at" timestamptz null, "refresh_token_enc" text null, "refresh_expires_at" timestamptz null, "token_obtained_at" timestamptz null, "scopes" text null, "status" "account_status" not null default 'active', "last_error_code" varchar(100) null, "consecutive_failures" int not null default 0, "incident_opened_at" timestamptz null, "expiry_warned_at" timestamptz null, "last_refreshed_at" timestamptz null, "last_synced_at" timestamptz null, "followers" int not null default 0, "following" int not null default 0, "media_count" int not null default 0, "engagement_rate" double precision not null default 0, "version" int not null default 1, constraint "social_accounts_pkey" primary key ("id"));`);
    this.addSql(`create index "social_accounts_owner_id_index" on "social_accounts" ("owner_id");`);
    this.addSql(`create index "social_accounts_active_sync_idx" on "social_accounts" ("last_synced_at" nulls first, "id") where "status" = 'active';`);
    this.addSql(`create index "social_accounts_active_expiry_idx" on "social_accounts" ("access_expires_at", "id") where "status" = 'active';`);
    this.addSql(`alter table "social_accounts" add constraint "social_accounts_platform_external_id_unique" unique ("platform", "external_id");`);

    this.addSql(`create table "token_refresh_attempts" ("id" uuid not null default gen_random_uuid(), "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "account_id" uuid not null, "platform" "platform" not null, "outcome" "refresh_outcome" not null, "error_code" varchar(100) null, "trigger" varchar(20) not null, constraint "token_refresh_attempts_pkey" primary key ("id"));`);
    this.addSql(`create index "token_refresh_attempts_account_id_index" on "token_refresh_attempts" ("account_id");`);
    this.addSql(`create index "token_refresh_attempts_created_at_index" on "token_refresh_attempts" ("created_at");`);

    this.addSql(`create table "posts" ("id" uuid not null default gen_random_uuid(), "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "account_id" uuid not null, "platform_id" text not null, "type" varchar(40) not null, "caption" text null, "permalink" text null, "media_url" text null, "published_at" timestamptz not null, "likes" int not null default 0, "comments" int not null default 0, "shares" int null, "views" bigint null, "last_seen_at" timestamptz not null default now(), constraint "posts_pkey" primary key ("id"));`);
    this.addSql(`create index "posts_account_id_published_at_id_index" on "posts" ("account_id", "published_at", "id");`);
    this.addSql(`alter table "posts" add constraint "posts_account_id_platform_id_unique" unique ("account_id", "platform_id");`);

    this.addSql(`create table "account_snapshots" ("id" uuid not null default gen_random_uuid(), "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "account_id" uuid not null, "day" date not null, "followers" int not null default 0, "following" int not null default 0, "media_count" int not null default 0, "posts_synced" int not null default 0, "engagement_rate" double precision not null default 0, constraint "account_snapshots_pkey" primary key ("id"));`);
    this.addSql(`alter table "account_snapshots" add constraint "account_snapshots_account_id_day_unique" unique ("account_id", "day");`);

    this.addSql(`create table "notifications" ("id" uuid not null default gen_random_uuid(), "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "user_id" uuid not null, "kind" varchar(50) not null, "payload" jsonb not null default '{}', "dedupe_key" varchar(200) null, "read_at" timestamptz null, "delivered_at" timestamptz null, constraint "notifications_pkey" primary key ("id"));`);
    this.addSql(`alter table "notifications" add constraint "notifications_dedupe_key_unique" unique ("dedupe_key");`);
    this.addSql(`create index "notifications_user_id_created_at_index" on "notifications" ("user_id", "created_at");`);

    this.addSql(`alter table "social_accounts" add constraint "social_accounts_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "token_refresh_attempts" add constraint "token_refresh_attempts_account_id_foreign" foreign key ("account_id") references "social_accounts" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "posts" add constraint "posts_account_id_foreign" foreign key ("account_id") references "social_accounts" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "account_snapshots" add constraint "account_snapshots_account_id_foreign" foreign key ("account_id") references "social_accounts" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "notifications" add constraint "notifications_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
  }

}
