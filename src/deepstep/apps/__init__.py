"""What people use: the ``deepstep`` command and its subcommands, sweeps, explain, the playground, the
scikit-learn estimators, the vectorization lesson.  May import every part; nothing imports apps."""
