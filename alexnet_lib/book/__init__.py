"""What only the book and its instructors need: figures, explorers, student notebooks and notebook execution."""
