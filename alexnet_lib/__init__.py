"""alexnet_lib: the library behind the course "AlexNet, rebuilt"."""

__version__ = "0.1.0"

#: The course's one home; the config, the Colab setup cell and the README use this URL.
REPOSITORY_URL = "https://github.com/alexnet-rebuilt/alexnet-rebuilt"
