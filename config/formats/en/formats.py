# The service runs on the Finnish 24-hour clock in every language.
TIME_FORMAT = "H:i"
