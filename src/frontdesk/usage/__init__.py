"""Usage metering per workspace and month: the basis of pay-as-you-go pricing."""
