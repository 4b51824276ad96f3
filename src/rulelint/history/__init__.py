"""What git knows: blame dates, rule counts over the history, growth trends."""
