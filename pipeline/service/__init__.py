"""The watched inbox: take each complete letter once, record it as a case,
process it, publish its reply, and survive crashes without losing a letter."""
