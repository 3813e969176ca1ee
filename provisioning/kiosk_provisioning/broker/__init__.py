"""City hall's side of the fleet channel (MQTT): the broker's configuration and access
list, city hall's own login to it, the fleet's status and alerts."""
