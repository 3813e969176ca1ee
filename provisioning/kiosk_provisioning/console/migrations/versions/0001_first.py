"""The console's first tables: staff, sign-ins, calls, activity.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("login", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("department", sa.String(40), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("roles", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("last_login", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "sign_in",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("when", sa.DateTime(), nullable=False),
        sa.Column("login", sa.String(40), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
    )
    op.create_index("ix_sign_in_when", "sign_in", ["when"])
    op.create_table(
        "call",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "direction",
            sa.Enum("TO_CENTRE", "FROM_CENTRE", name="calldirection", native_enum=False),
            nullable=False,
        ),
        sa.Column("centre_id", sa.String(64), nullable=False),
        sa.Column("contact", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "RINGING", "ANSWERED", "MISSED", "FAILED", name="calloutcome", native_enum=False
            ),
            nullable=False,
        ),
        sa.Column("started", sa.DateTime(), nullable=False),
        sa.Column("answered", sa.DateTime(), nullable=True),
        sa.Column("ended", sa.DateTime(), nullable=True),
        sa.Column("called_back", sa.Integer(), sa.ForeignKey("call.id"), nullable=True),
    )
    op.create_index("ix_call_centre_id", "call", ["centre_id"])
    op.create_index("ix_call_started", "call", ["started"])
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("when", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("what", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_activity_when", "activity", ["when"])


def downgrade() -> None:
    op.drop_table("activity")
    op.drop_table("call")
    op.drop_table("sign_in")
    op.drop_table("staff")
