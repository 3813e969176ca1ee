"""영상 회의's questions: what the host asked a room, and the centres' answers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_question",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(64), nullable=False, unique=True),
        sa.Column("room", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(120), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("centres", sa.Text(), nullable=False),
        sa.Column("asked_by", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("result_at", sa.DateTime(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
    )
    op.create_index("ix_meeting_question_room", "meeting_question", ["room"])
    op.create_table(
        "meeting_answer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "question_id", sa.Integer(), sa.ForeignKey("meeting_question.id"), nullable=False
        ),
        sa.Column("centre_id", sa.String(64), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("received", sa.DateTime(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("question_id", "centre_id", "late"),
    )
    op.create_index("ix_meeting_answer_question_id", "meeting_answer", ["question_id"])


def downgrade() -> None:
    op.drop_table("meeting_answer")
    op.drop_table("meeting_question")
