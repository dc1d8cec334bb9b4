/// The payloads of dji-cloud-api-samples.md (S1–S14), verbatim, as test fixtures.
public enum DJISamples {
    /// S1: Dock OSD, part 1 of 3 (maintenance/power block)
    public static let s1 = #"""
{
    "tid": "65717bf1-aee7-4abb-8ea3-9b1908548d74",
    "bid": "cf5ad2e6-2f32-4b59-980e-d5c9ee412805",
    "timestamp": 1667220873846,
    "data": {
        "job_number": 492,
        "acc_time": 1859010,
        "activation_time": 0,
        "maintain_status": {
            "maintain_status_array": [
                {
                    "state": 0,
                    "last_maintain_type": 17,
                    "last_maintain_time": 0,
                    "last_maintain_work_sorties": 0
                }
            ]
        },
        "electric_supply_voltage": 231,
        "working_voltage": 25440,
        "working_current": 1120,
        "backup_battery": {
            "voltage": 26631,
            "temperature": 27.9,
            "switch": 1
        },
        "drone_battery_maintenance_info": {
            "maintenance_state": 0,
            "maintenance_time_left": 0
        }
    },
    "gateway": "dock_sn"
}
"""#
    /// S2: Dock OSD, part 2 of 3 (task step / link block)
    public static let s2 = #"""
{
    "bid": "d6cfcea4-c6ca-439b-948f-b17d88fc308f",
    "data": {
        "flighttask_step_code": 255,
        "media_file_detail": {
            "remain_upload": 0
        },
        "wireless_link": {
            "4g_freq_band": 2.4,
            "4g_gnd_quality": 0,
            "4g_link_state": 0,
            "4g_quality": 0,
            "4g_uav_quality": 0,
            "dongle_number": 0,
            "link_workmode": 0,
            "sdr_freq_band": 2.4,
            "sdr_link_state": 0,
            "sdr_quality": 0
        }
    },
    "tid": "e4c15182-776b-4c13-9973-3fc76848ca15",
    "timestamp": 1667220881576,
    "gateway": "dock_sn"
}
"""#
    /// S3: Dock OSD, part 3 of 3 (position/environment/mode block)
    public static let s3 = #"""
{
    "tid": "43d2e632-1558-4c4e-83d2-eeb51b7a377a",
    "bid": "7578f2ac-1f12-4d47-9ab6-5de146ed7b8a",
    "timestamp": 1667220916697,
    "data": {
        "network_state": {
            "type": 2,
            "quality": 0,
            "rate": 5.0970001220703125
        },
        "drone_charge_state": {
            "state": 0,
            "capacity_percent": 100
        },
        "drone_in_dock": 1,
        "rainfall": 0,
        "wind_speed": 0,
        "environment_temperature": 24,
        "temperature": 24.9,
        "humidity": 62,
        "latitude": 22.907809968,
        "longitude": 113.703482143,
        "height": 34.174125671386719,
        "alternate_land_point": {
            "latitude": 22.907898319908661,
            "longitude": 113.70347329676635,
            "safe_land_height": 0,
            "is_configured": 1
        },
        "first_power_on": 1631945855969,
        "position_state": {
            "is_calibration": 1,
            "is_fixed": 2,
            "quality": 5,
            "gps_number": 6,
            "rtk_number": 25
        },
        "storage": {
            "total": 82045336,
            "used": 51772
        },
        "mode_code": 1,
        "cover_state": 0,
        "supplement_light_state": 0,
        "emergency_stop_state": 0,
        "air_conditioner_mode": 0,
        "battery_store_mode": 1,
        "alarm_state": 0,
        "putter_state": 0,
        "sub_device": {
            "device_sn": "1581F5BKD225D00BP891",
            "device_model_key": "0-67-0",
            "device_online_status": 0,
            "device_paired": 1
        }
    },
    "gateway": "dock_sn"
}
"""#
    /// S4: Aircraft OSD (M30 via Dock / Dock 2 properties page)
    public static let s4 = #"""
{
    "bid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
    "data": {
        "52-0-0": {
            "measure_target_altitude": 0,
            "measure_target_distance": 591.70001220703125,
            "measure_target_error_state": 1,
            "measure_target_latitude": 0,
            "measure_target_longitude": 0,
            "payload_index": "52-0-0",
            "version": 1
        },
        "activation_time": 1667935211,
        "attitude_head": 41.7,
        "attitude_pitch": 2.7,
        "attitude_roll": 0,
        "battery": {
            "batteries": [
                {
                    "capacity_percent": 95,
                    "firmware_version": "02.00.20.44",
                    "high_voltage_storage_days": 16,
                    "index": 0,
                    "loop_times": 137,
                    "sn": "4BUPJ99DAD009W",
                    "sub_type": 0,
                    "temperature": 33.3,
                    "type": 0,
                    "voltage": 24303
                },
                {
                    "capacity_percent": 85,
                    "firmware_version": "02.00.20.44",
                    "high_voltage_storage_days": 5,
                    "index": 1,
                    "loop_times": 82,
                    "sn": "4BUPJ9EDAD01CE",
                    "sub_type": 0,
                    "temperature": 32,
                    "type": 0,
                    "voltage": 24311
                }
            ],
            "capacity_percent": 90,
            "landing_power": 0,
            "remain_flight_time": 0,
            "return_home_power": 0
        },
        "distance_limit_status": {
            "distance_limit": 5000,
            "state": 0
        },
        "elevation": 0,
        "firmware_version": "05.01.0214",
        "gear": 1,
        "height": 38.417465209960938,
        "height_limit": 120,
        "home_distance": 0,
        "horizontal_speed": 0,
        "latitude": 0,
        "longitude": 0,
        "maintain_status": {
            "maintain_status_array": [
                {
                    "last_maintain_flight_time": 0,
                    "last_maintain_time": 0,
                    "last_maintain_type": 1,
                    "state": 0
                },
                {
                    "last_maintain_flight_time": 0,
                    "last_maintain_time": 0,
                    "last_maintain_type": 2,
                    "state": 0
                },
                {
                    "last_maintain_flight_time": 0,
                    "last_maintain_time": 0,
                    "last_maintain_type": 3,
                    "state": 0
                }
            ]
        },
        "mode_code": 0,
        "night_lights_state": 0,
        "obstacle_avoidance": {
            "downside": 1,
            "horizon": 1,
            "upside": 1
        },
        "position_state": {
            "gps_number": 0,
            "is_fixed": 0,
            "quality": 0,
            "rtk_number": 0
        },
        "storage": {
            "total": 0,
            "used": 0
        },
        "total_flight_distance": 0,
        "total_flight_sorties": 0,
        "total_flight_time": 0,
        "track_id": "",
        "vertical_speed": 0,
        "wind_direction": 0,
        "wind_speed": 0
    },
    "tid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
    "timestamp": 1670422793916,
    "gateway": "dock_sn"
}
"""#
    /// S5 part 1: sys status: gateway + sub-device online (update_topo)
    public static let s5a = #"""
{
	"tid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"bid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"method": "update_topo",
	"timestamp": 1234567890123,
	"data": {
		"type": 98,
		"sub_type": 0,
		"device_secret": "secret",
		"nonce": "nonce",
		"version": 1,
		"sub_devices": [
			{
				"sn": "drone001",
				"type": 116,
				"sub_type": 0,
				"index": "A",
				"device_secret": "secret",
				"nonce": "nonce",
				"version": 1
			}
		]
	}
}
"""#
    /// S5 part 2: sys status: gateway + sub-device online (update_topo)
    public static let s5b = #"""
{
    "tid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
    "bid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
    "method": "update_topo",
    "timestamp": 1234567890123,
    "data": {
        "type": 98,
        "sub_type": 0,
        "device_secret":"secret",
        "nonce":"nonce",
        "version": 1,
        "sub_devices":[]
    }
}
"""#
    /// S6: sys status_reply
    public static let s6 = #"""
{
    "tid":"6a7bfe89-c386-4043-b600-b518e10096cc",
    "bid":"42a19f36-5117-4520-bd13-fd61d818d52e",
    "timestamp": 1598411295123,
    "method": "update_topo",
    "data": {
        "result": 0 
    }
}
"""#
    /// S7: flighttask_progress event (Dock 2)
    public static let s7 = #"""
{
	"bid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"data": {
		"output": {
			"ext": {
				"break_point": {
					"attitude_head": 30,
					"break_reason": 1,
					"height": 100.23,
					"index": 1,
					"latitude": 23.4,
					"longitude": 113.99,
					"progress": 0.34,
					"state": 0,
					"wayline_id": 0
				},
				"current_waypoint_index": 3,
				"flight_id": "flight_id",
				"media_count": 6,
				"track_id": "track_id",
				"wayline_id": 0,
				"wayline_mission_state": 9
			},
			"progress": {
				"current_step": 19,
				"percent": 100
			},
			"status": "ok"
		},
		"result": 0
	},
	"tid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"timestamp": 1654070968655,
	"method": "flighttask_progress"
}
"""#
    /// S8: hms event (Dock 2, current CN doc — includes "method")
    public static let s8 = #"""
{
	"bid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"data": {
		"list": [
			{
				"args": {
					"component_index": 0,
					"sensor_index": 0
				},
				"code": "0x16100083",
				"device_type": "0-67-0",
				"imminent": 1,
				"in_the_sky": 0,
				"level": 2,
				"module": 3
			}
		]
	},
	"tid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"timestamp": 1654070968655,
	"method": "hms"
}
"""#
    /// S9: flighttask_prepare service (Dock 2)
    public static let s9 = #"""
{
	"bid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"data": {
		"break_point": {
			"index": 1,
			"progress": 0.34,
			"state": 0,
			"wayline_id": 0
		},
		"executable_conditions": {
			"storage_capacity": 1000
		},
		"execute_time": 1234567890123,
		"exit_wayline_when_rc_lost": 0,
		"file": {
			"fingerprint": "xxxx",
			"url": "https://xxx.com/xxxx"
		},
		"flight_id": "xxxxxxx",
		"flight_safety_advance_check": 1,
		"out_of_control_action": 0,
		"ready_conditions": {
			"battery_capacity": 90,
			"begin_time": 1234567890123,
			"end_time": 1234567890123
		},
		"rth_altitude": 100,
		"simulate_mission": {
			"is_enable": 1,
			"latitude": 22.1223,
			"longitude": 113.2222
		},
		"task_type": 2,
		"wayline_precision_type": 0
	},
	"tid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"timestamp": 1234567890123,
	"method": "flighttask_prepare"
}
"""#
    /// S10: flighttask_prepare services_reply
    public static let s10 = #"""
{
	"bid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"data": {
		"result": 0
	},
	"tid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"timestamp": 1234567890123,
	"method": "flighttask_prepare"
}
"""#
    /// S11: flighttask_execute service (simple, non-leapfrog; current CN Dock 1 doc)
    public static let s11 = #"""
{
	"bid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"data": {
		"flight_id": "xxxxxxx"
	},
	"tid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"timestamp": 1234567890123,
	"method": "flighttask_execute"
}
"""#
    /// S12: flighttask_execute services_reply
    public static let s12 = #"""
{
	"bid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"data": {
		"result": 0
	},
	"tid": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx",
	"timestamp": 1234567890123,
	"method": "flighttask_execute"
}
"""#
    /// S13: return_home service (one-key RTH)
    public static let s13 = #"""
{
	"bid": "f9f07aad-d1f1-4dc1-8ad0-a3417fd365cc",
	"data": null,
	"method": "return_home",
	"tid": "b103b00a-3fcc-476e-9cb6-bc5e27d2defd",
	"timestamp": 1734425015702
}
"""#
    /// S14: return_home services_reply
    public static let s14 = #"""
{
	"bid": "f9f07aad-d1f1-4dc1-8ad0-a3417fd365cc",
	"data": {
		"result": 0
	},
	"method": "return_home",
	"tid": "b103b00a-3fcc-476e-9cb6-bc5e27d2defd",
	"timestamp": 1734425014635
}
"""#
}
