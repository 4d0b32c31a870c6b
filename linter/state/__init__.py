"""The migration state a rule reads, below the rule contract: the transaction state and the
fold of each statement into it and the schema model (txstate, fold), look-ahead in the file
(lookahead), what a down migration undoes (reversal), the Context and Report of
``Rule.check`` (context, severity), and the helpers rules share (drops, advice, deferred)."""
