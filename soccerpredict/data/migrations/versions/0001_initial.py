"""Initial schema: divisions, seasons, teams, team aliases, matches, match statistics, odds, ingestion log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "divisions",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_divisions")),
    )
    op.create_table(
        "ingestion_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(length=128), nullable=False),
        sa.Column("div", sa.String(length=8), nullable=True),
        sa.Column("season", sa.String(length=4), nullable=True),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("odds_rejected", sa.Integer(), nullable=False),
        sa.Column("blank_rows", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('ok', 'failed')", name=op.f("ck_ingestion_log_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingestion_log")),
    )
    op.create_index(op.f("ix_ingestion_log_source_status"), "ingestion_log", ["source", "status"], unique=False)
    op.create_table(
        "seasons",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("start_year", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_seasons")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "matches",
        sa.Column("match_id", sa.String(length=120), nullable=False),
        sa.Column("div", sa.String(length=8), nullable=False),
        sa.Column("season", sa.String(length=4), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kickoff_time", sa.String(length=5), nullable=True),
        sa.Column("home_team_id", sa.Integer(), nullable=False),
        sa.Column("away_team_id", sa.Integer(), nullable=False),
        sa.Column("fthg", sa.Integer(), nullable=True),
        sa.Column("ftag", sa.Integer(), nullable=True),
        sa.Column("hthg", sa.Integer(), nullable=True),
        sa.Column("htag", sa.Integer(), nullable=True),
        sa.Column("ftr", sa.String(length=1), nullable=True),
        sa.Column("htr", sa.String(length=1), nullable=True),
        sa.Column("referee", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ftr IS NULL OR ftr IN ('H', 'D', 'A')", name=op.f("ck_matches_ftr")),
        sa.CheckConstraint("htr IS NULL OR htr IN ('H', 'D', 'A')", name=op.f("ck_matches_htr")),
        sa.CheckConstraint("status IN ('finished', 'scheduled')", name=op.f("ck_matches_status")),
        sa.CheckConstraint("home_team_id <> away_team_id", name=op.f("ck_matches_distinct_teams")),
        sa.ForeignKeyConstraint(["away_team_id"], ["teams.id"], name=op.f("fk_matches_away_team_id_teams")),
        sa.ForeignKeyConstraint(["div"], ["divisions.code"], name=op.f("fk_matches_div_divisions")),
        sa.ForeignKeyConstraint(["home_team_id"], ["teams.id"], name=op.f("fk_matches_home_team_id_teams")),
        sa.ForeignKeyConstraint(["season"], ["seasons.code"], name=op.f("fk_matches_season_seasons")),
        sa.PrimaryKeyConstraint("match_id", name=op.f("pk_matches")),
    )
    op.create_index(op.f("ix_matches_away_team_id_date"), "matches", ["away_team_id", "date"], unique=False)
    op.create_index(op.f("ix_matches_date"), "matches", ["date"], unique=False)
    op.create_index(op.f("ix_matches_div_season"), "matches", ["div", "season"], unique=False)
    op.create_index(op.f("ix_matches_home_team_id_date"), "matches", ["home_team_id", "date"], unique=False)
    op.create_table(
        "team_aliases",
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_team_aliases_team_id_teams")),
        sa.PrimaryKeyConstraint("alias", name=op.f("pk_team_aliases")),
    )
    op.create_index(op.f("ix_team_aliases_team_id"), "team_aliases", ["team_id"], unique=False)
    op.create_table(
        "match_stats",
        sa.Column("match_id", sa.String(length=120), nullable=False),
        sa.Column("home_shots", sa.Integer(), nullable=True),
        sa.Column("away_shots", sa.Integer(), nullable=True),
        sa.Column("home_shots_on_target", sa.Integer(), nullable=True),
        sa.Column("away_shots_on_target", sa.Integer(), nullable=True),
        sa.Column("home_fouls", sa.Integer(), nullable=True),
        sa.Column("away_fouls", sa.Integer(), nullable=True),
        sa.Column("home_corners", sa.Integer(), nullable=True),
        sa.Column("away_corners", sa.Integer(), nullable=True),
        sa.Column("home_yellow", sa.Integer(), nullable=True),
        sa.Column("away_yellow", sa.Integer(), nullable=True),
        sa.Column("home_red", sa.Integer(), nullable=True),
        sa.Column("away_red", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.match_id"], name=op.f("fk_match_stats_match_id_matches"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("match_id", name=op.f("pk_match_stats")),
    )
    op.create_table(
        "odds",
        sa.Column("match_id", sa.String(length=120), nullable=False),
        sa.Column("bookmaker", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("home", sa.Float(), nullable=False),
        sa.Column("draw", sa.Float(), nullable=False),
        sa.Column("away", sa.Float(), nullable=False),
        sa.CheckConstraint("kind IN ('pre', 'close')", name=op.f("ck_odds_kind")),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.match_id"], name=op.f("fk_odds_match_id_matches"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("match_id", "bookmaker", "kind", name=op.f("pk_odds")),
    )


def downgrade() -> None:
    op.drop_table("odds")
    op.drop_table("match_stats")
    op.drop_index(op.f("ix_team_aliases_team_id"), table_name="team_aliases")
    op.drop_table("team_aliases")
    op.drop_index(op.f("ix_matches_home_team_id_date"), table_name="matches")
    op.drop_index(op.f("ix_matches_div_season"), table_name="matches")
    op.drop_index(op.f("ix_matches_date"), table_name="matches")
    op.drop_index(op.f("ix_matches_away_team_id_date"), table_name="matches")
    op.drop_table("matches")
    op.drop_table("teams")
    op.drop_table("seasons")
    op.drop_index(op.f("ix_ingestion_log_source_status"), table_name="ingestion_log")
    op.drop_table("ingestion_log")
    op.drop_table("divisions")
