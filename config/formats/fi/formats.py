# Finnish writes clock times with a full stop: klo 9.50, 13.00.
TIME_FORMAT = "G.i"
