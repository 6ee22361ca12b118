"""Data: the cat pictures, the 2-D toy sets, tables and picture folders of your own, the one split rule, and the
standardization learned from the training examples.  Imports core and the base."""
