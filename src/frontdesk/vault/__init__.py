"""What a workspace trusts its outbound calls with: encrypted secrets and allowed hosts."""
