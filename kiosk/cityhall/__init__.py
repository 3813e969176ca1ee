"""City hall's side of calls: the Janus server's configuration, the private
network the demo and the tests run it in, and the demo city-hall desk."""
