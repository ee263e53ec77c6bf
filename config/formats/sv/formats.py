# Finland-Swedish writes clock times with a full stop too: kl. 9.50.
TIME_FORMAT = "G.i"
