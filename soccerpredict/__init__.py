"""SoccerPredict: football 1X2 prediction, end to end."""

__version__ = "0.1.0"
